-- POST one body, read from a file at start-up, to every request of a wrk run.
-- bench/run.py writes the bodies at run time and names them through the environment:
--   BENCH_BODY_FILE     the body's path
--   BENCH_CONTENT_TYPE  its media type (application/json, application/x-npy)
--   BENCH_ACCEPT        the response media type asked for
local path = assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY_FILE is not set")
local file = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
wrk.headers["Accept"] = os.getenv("BENCH_ACCEPT") or "application/json"
