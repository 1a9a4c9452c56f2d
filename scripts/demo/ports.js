'use strict';
// Checks the demo's ports before anything starts, so a busy port gives one clear message.
const net = require('node:net');

class PortInUseError extends Error {
  constructor(what, host, port, envName) {
    super(
      `Port ${port} on ${host} (${what}) is already in use. Stop the program using it, ` +
        `or choose another port: ${envName}=<port> npm start`,
    );
    this.name = 'PortInUseError';
    this.port = port;
  }
}

function probe(host, port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** ports: [{what, host, port, env}]; port 0 (any) is never busy. */
async function assertPortsFree(ports) {
  for (const p of ports) {
    if (p.port === 0) continue;
    try {
      await probe(p.host, p.port);
    } catch (err) {
      if (err && err.code === 'EADDRINUSE') throw new PortInUseError(p.what, p.host, p.port, p.env);
      if (err && err.code === 'EACCES') throw new Error(`Port ${p.port} (${p.what}) needs privileges: set ${p.env} to a port above 1023`, { cause: err });
      throw err;
    }
  }
}

/** An EADDRINUSE from a server that started later (a race with another program) → the same message. */
function explainListenError(err, p) {
  if (err && err.code === 'EADDRINUSE') return new PortInUseError(p.what, p.host, p.port, p.env);
  return err;
}

module.exports = { assertPortsFree, explainListenError, PortInUseError };
