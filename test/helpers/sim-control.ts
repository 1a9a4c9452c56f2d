/** Calls to the simulator's control HTTP API, as a local tool (curl, Node-RED) makes them. */
import type { SimulatorHandle } from '../../lib/simulator';

export interface ControlReply {
  code: number;
  json: Record<string, unknown> & unknown[];
}

/**
 * `method path` with a JSON body; POST and PUT carry `Content-Type: application/json`
 * (the API refuses them without it). `headers` add to or replace the defaults.
 */
export async function controlCall(
  sim: SimulatorHandle,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ControlReply> {
  const json: Record<string, string> = method === 'POST' || method === 'PUT' ? { 'content-type': 'application/json' } : {};
  const res = await fetch(`${sim.controlUrl}${path}`, {
    method,
    headers: { ...json, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { code: res.status, json: (await res.json()) as ControlReply['json'] };
}
