// Loaded before anything else (entry point, tests, bundle). libp2p 3 calls
// Promise.withResolvers, which Node 20 (OpenWrt 24.10, Gluon) lacks; Node 22+
// has it and this module then does nothing.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers () {
      let resolve
      let reject
      const promise = new this((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}
