import { describe, expect, it } from 'vitest';
import { connectInMemory } from '../../../src/testing/loopback.js';
import { RecordingProtocol } from '../../contract/harness.js';

describe('connectInMemory', () => {
  it.each([1, 2, 7])('delivers writes in pieces of at most %i bytes, in order', (chunkSize) => {
    const server = new RecordingProtocol();
    const client = new RecordingProtocol();
    server.onMade = (p) => {
      p.transport!.write('héllo, wörld');
      p.transport!.loseConnection();
    };
    const pair = connectInMemory(server, client, { chunkSize });
    pair.pump();
    expect(client.text()).toBe('héllo, wörld');
    expect(client.received.every((chunk) => chunk.length <= chunkSize)).toBe(true);
    expect(client.events.at(-1)).toBe('connectionLost');
  });

  it('moves nothing until pumped', () => {
    const server = new RecordingProtocol();
    const client = new RecordingProtocol();
    server.onMade = (p) => p.transport!.write('x');
    const pair = connectInMemory(server, client);
    expect(client.received).toEqual([]);
    expect(pair.pump()).toBe(true);
    expect(pair.pump()).toBe(false);
    expect(client.text()).toBe('x');
  });
});

describe('connectInMemory flow control', () => {
  it('delivers nothing to a reader that paused, and everything once it resumes', () => {
    const server = new RecordingProtocol();
    const client = new RecordingProtocol();
    client.onMade = (p) => p.transport!.pauseProducing();
    server.onMade = (p) => {
      p.transport!.write('held back');
      p.transport!.loseConnection();
    };
    const pair = connectInMemory(server, client);
    pair.pump();
    expect(client.events).toEqual(['connectionMade']);
    client.transport!.resumeProducing();
    pair.pump();
    expect(client.text()).toBe('held back');
    expect(client.events.at(-1)).toBe('connectionLost');
  });
});
