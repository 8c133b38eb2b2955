// A client factory whose end is a promise, and a server factory that serves each reader with a
// function: the small pieces the transport tests drive a real reactor with.

import type { IConnector, IProtocol, ITransport } from '../../src/internet/interfaces.js';
import { ClientFactory, Protocol, ServerFactory } from '../../src/internet/protocol.js';

export type Outcome = { kind: 'failed' | 'lost'; reason: Error };

/** Collects what it reads; `outcome` is how its one attempt ended. */
export class OutcomeFactory extends ClientFactory {
  readonly chunks: Buffer[] = [];
  readonly outcome: Promise<Outcome>;
  /** Settles when the connection is made, with its transport. */
  readonly made: Promise<ITransport>;
  #settle!: (value: Outcome) => void;
  #made!: (transport: ITransport) => void;

  constructor() {
    super();
    this.outcome = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.made = new Promise((resolve) => {
      this.#made = resolve;
    });
  }

  override buildProtocol(): IProtocol {
    const factory = this;
    const protocol = new (class extends Protocol {
      override connectionMade(): void {
        factory.#made(this.transport!);
      }
      override dataReceived(data: Buffer): void {
        factory.chunks.push(Buffer.from(data));
      }
    })();
    protocol.factory = this;
    return protocol;
  }

  override clientConnectionFailed(_connector: IConnector, reason: Error): void {
    this.#settle({ kind: 'failed', reason });
  }

  override clientConnectionLost(_connector: IConnector, reason: Error): void {
    this.#settle({ kind: 'lost', reason });
  }

  text(): string {
    return Buffer.concat(this.chunks).toString();
  }
}

/** Serves each reader by calling `serve(transport)` when it connects. */
export function serving(serve: (transport: ITransport) => void): ServerFactory {
  const factory = new ServerFactory();
  factory.protocol = class extends Protocol {
    override connectionMade(): void {
      serve(this.transport!);
    }
  };
  return factory;
}

/** Writes `text` and closes cleanly. */
export function greeting(text: string): ServerFactory {
  return serving((transport) => {
    transport.write(text);
    transport.loseConnection();
  });
}
