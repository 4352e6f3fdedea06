import { createConnection, createServer, type Server, type Socket } from "node:net"

export type ProxyMode = "open" | "refuse" | "blackhole"

/**
 * A TCP proxy on a random loopback port in front of `target`, that a test can cut: `refuse` closes every
 * connection at once (a database that is down), `blackhole` accepts and never answers (a network that
 * drops packets), `open` forwards again.
 */
export const startTcpProxy = async (target: { host: string; port: number }) => {
  let mode: ProxyMode = "open"
  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => socket.destroy())
  }
  const server: Server = createServer((client) => {
    track(client)
    if (mode === "refuse") return client.destroy()
    if (mode === "blackhole") return client.pause()
    const upstream = createConnection(target)
    track(upstream)
    client.pipe(upstream).pipe(client)
    upstream.on("close", () => client.destroy())
    client.on("close", () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("proxy has no port")
  return {
    port: address.port,
    /** Switches mode; leaving `open` cuts every connection in flight. */
    set(next: ProxyMode) {
      mode = next
      if (next !== "open") for (const s of sockets) next === "refuse" ? s.destroy() : s.pause()
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}
