import { describe, expect, it } from 'vitest';
import { ConnectionAborted, ConnectionLost } from '../../../src/internet/errors.js';
import { connectInMemory, LOOPBACK_HIGH_WATER_MARK } from '../../../src/testing/loopback.js';
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

describe('connectInMemory, as the TCP transport behaves', () => {
  it('records writes made after loseConnection but never delivers them', () => {
    const server = new RecordingProtocol();
    const client = new RecordingProtocol();
    server.onMade = (p) => {
      p.transport!.write('kept');
      p.transport!.loseConnection();
      p.transport!.write(' dropped');
    };
    const pair = connectInMemory(server, client);
    pair.pump();
    expect(client.text()).toBe('kept');
    expect(pair.serverTransport.value().toString()).toBe('kept dropped');
  });

  it('lends the client one read buffer, overwritten by each piece', () => {
    const readBuffer = Buffer.alloc(4);
    const server = new RecordingProtocol();
    const client = new RecordingProtocol();
    const lent: Buffer[] = [];
    client.onData = (_p, data) => lent.push(data);
    server.onMade = (p) => p.transport!.write('abcdefghij');
    connectInMemory(server, client, { clientReadBuffer: readBuffer, chunkSize: 8 }).pump();
    expect(client.received.map(String)).toEqual(['abcd', 'efgh', 'ij']);
    expect(lent.every((view) => view.buffer === readBuffer.buffer)).toBe(true);
    expect(lent.map(String)).toEqual(['ijgh', 'ijgh', 'ij']);
  });

  it('pauses a registered producer at the high-water mark and resumes it once all is taken', () => {
    const calls: string[] = [];
    const server = new RecordingProtocol();
    const client = new RecordingProtocol();
    server.onMade = (p) => {
      p.transport!.registerProducer({
        pauseProducing: () => calls.push('pause'),
        resumeProducing: () => calls.push('resume'),
        stopProducing: () => calls.push('stop'),
      });
      p.transport!.write(Buffer.alloc(LOOPBACK_HIGH_WATER_MARK - 1));
      expect(calls).toEqual([]);
      p.transport!.write('x');
    };
    const pair = connectInMemory(server, client);
    expect(calls).toEqual(['pause']);
    expect(pair.serverTransport.bufferedBytes).toBe(LOOPBACK_HIGH_WATER_MARK);
    pair.pump();
    expect(calls).toEqual(['pause', 'resume']);
    expect(pair.serverTransport.bufferedBytes).toBe(0);
  });

  it('reports an exception from a protocol and aborts its side, given a reporter', () => {
    const reported: string[] = [];
    class Exploding extends RecordingProtocol {
      override dataReceived(): void {
        throw new Error('boom');
      }
    }
    const server = new RecordingProtocol();
    server.onMade = (p) => p.transport!.write('x');
    const client = new Exploding();
    connectInMemory(server, client, { reportError: (_e, where) => reported.push(where) }).pump();
    expect(reported).toEqual(['Exploding.dataReceived']);
    expect(client.reason).toBeInstanceOf(ConnectionAborted);
    expect(server.reason).toBeInstanceOf(ConnectionLost);
  });

  it('lets an exception from a protocol out of pump() without a reporter', () => {
    class Exploding extends RecordingProtocol {
      override dataReceived(): void {
        throw new Error('boom');
      }
    }
    const server = new RecordingProtocol();
    server.onMade = (p) => p.transport!.write('x');
    const pair = connectInMemory(server, new Exploding());
    expect(() => pair.pump()).toThrow('boom');
  });
});
