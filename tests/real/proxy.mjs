// A TCP proxy between herald and the PDS that sees each HTTP request line
// going up and can, for the next request whose line holds a given XRPC method:
//   cut:   let the request through, then close the client's connection at the
//           first byte of the answer (the PDS acted; herald gets no answer);
//   hold:  let the request through and keep the answer back until close();
//   stall: keep the request back (the PDS never sees it) until close().
// `requests` lists every request line seen, in order.
import net from 'node:net'

export class CuttingProxy {
  constructor(targetHost, targetPort) {
    this.targetHost = targetHost
    this.targetPort = targetPort
    this.requests = []
    this.armed = null // {method, mode, onHit}
    this.sockets = new Set()
  }

  async listen() {
    this.server = net.createServer((client) => this.#connect(client))
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${this.server.address().port}`
    return this
  }

  // Arms the next request for `method` (e.g. 'com.atproto.repo.createRecord')
  // with `mode` ('cut', 'hold' or 'stall'); resolves once that request is seen.
  arm(method, mode) {
    return new Promise((resolve) => { this.armed = { method, mode, onHit: resolve } })
  }

  count(method) { return this.requests.filter((r) => r.includes(`/xrpc/${method}`)).length }

  #connect(client) {
    const upstream = net.connect(this.targetPort, this.targetHost)
    this.sockets.add(client).add(upstream)
    const closeBoth = () => { client.destroy(); upstream.destroy(); this.sockets.delete(client); this.sockets.delete(upstream) }
    let mode = null
    // herald keeps connections open for many requests, so request heads are
    // found by reading each head and skipping its Content-Length body (herald
    // sends no chunked requests), not by looking for lines that look like one.
    let head = Buffer.alloc(0)
    let bodyLeft = 0
    client.on('data', (chunk) => {
      let rest = chunk
      while (rest.length) {
        if (bodyLeft > 0) {
          const n = Math.min(bodyLeft, rest.length)
          bodyLeft -= n
          rest = rest.subarray(n)
          continue
        }
        head = Buffer.concat([head, rest])
        rest = Buffer.alloc(0)
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) break
        const text = head.subarray(0, end).toString('latin1')
        rest = head.subarray(end + 4)
        head = Buffer.alloc(0)
        const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text)
        bodyLeft = length ? Number(length[1]) : 0
        const m = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) (\S+) HTTP\/1\.[01]$/m.exec(text.split('\r\n')[0])
        if (!m) continue
        this.requests.push(`${m[1]} ${m[2]}`)
        if (this.armed && m[2].includes(`/xrpc/${this.armed.method}`)) {
          const { mode: armedMode, onHit } = this.armed
          this.armed = null
          mode = armedMode
          setImmediate(onHit)
        }
      }
      if (mode !== 'stall') upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (mode === 'cut') { closeBoth(); return }
      if (mode === 'hold') return
      client.write(chunk)
    })
    // A held or stalled client keeps its connection until herald or close()
    // ends it, whatever the PDS does with its side.
    const upstreamGone = () => { if (mode === 'hold' || mode === 'stall') upstream.destroy(); else closeBoth() }
    client.on('error', closeBoth)
    client.on('close', closeBoth)
    upstream.on('error', upstreamGone)
    upstream.on('close', upstreamGone)
  }

  async close() {
    for (const s of this.sockets) s.destroy()
    await new Promise((r) => this.server.close(r))
  }
}
