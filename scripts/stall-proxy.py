#!/usr/bin/env python3
"""A TCP proxy that can stall: a server or network that stops answering without closing.

    stall-proxy.py UPSTREAM_HOST UPSTREAM_PORT

Listens on a free loopback port and prints it on the first line of standard output.
SIGUSR1 stalls it: bytes already in flight stay where they are, nothing more is passed
on in either direction, and new connections are accepted but left without an answer
(as a hung host's kernel would). SIGUSR2 lets everything flow again. Used by the
integration tests (DatabaseStallTests) to show that a daemon rides out a stall
instead of hanging; handy by hand too.
"""
import asyncio
import signal
import sys


async def pump(reader, writer, flowing):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main():
    host, port = sys.argv[1], int(sys.argv[2])
    flowing = asyncio.Event()
    flowing.set()

    async def handle(client_reader, client_writer):
        await flowing.wait()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pump(client_reader, upstream_writer, flowing), pump(upstream_reader, client_writer, flowing)
        )

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, flowing.clear)
    loop.add_signal_handler(signal.SIGUSR2, flowing.set)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


try:
    asyncio.run(main())
except RuntimeError:
    pass  # stopped by SIGTERM
