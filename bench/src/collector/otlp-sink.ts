/**
 * An OTLP/HTTP endpoint that reads each request and answers 200 with an empty
 * ExportTraceServiceResponse, in a process of its own: what the request-path benchmark's OTLP
 * variants send to, so the process measured pays for sending, not for receiving.
 */
import { createServer } from 'node:http';
import { tellParent } from '../harness/child-process.js';

export type OtlpSinkMessage = { type: 'listening'; url: string } | { type: 'closed' };

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
    response.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  tellParent({ type: 'listening', url: `http://127.0.0.1:${address.port}` });
});
process.on('message', () => {
  server.closeAllConnections();
  server.close(() => {
    tellParent({ type: 'closed' });
    process.disconnect();
  });
});
