-- wrk script: the request bench/http_overhead sends to both servers.
wrk.method = "POST"
wrk.body = '{"input": {"text": "a"}}'
wrk.headers["Content-Type"] = "application/json"
