"""Holds live sockets to a session (the tokens given) for N seconds, counting frames."""
import asyncio, json, sys, websockets
base, session, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
tokens = sys.argv[4:]
async def one(token, counts, i):
    async with websockets.connect(f"{base}/api/sessions/{session}/live", additional_headers={"Authorization": "Bearer " + token}) as ws:
        try:
            while True:
                await asyncio.wait_for(ws.recv(), timeout=seconds)
                counts[i] += 1
        except (asyncio.TimeoutError, TimeoutError):
            pass
async def main():
    counts = [0] * len(tokens)
    await asyncio.gather(*(one(t, counts, i) for i, t in enumerate(tokens)))
    print("frames per socket:", counts, flush=True)
asyncio.run(main())
