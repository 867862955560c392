"""RunPod's own local API server (runpod-python, --rp_serve_api) with a handler that returns at
once: the peer that bench/http_overhead compares warmtts's HTTP path against."""
import runpod


def handler(job):
    return {"ok": True}


runpod.serverless.start({"handler": handler})
