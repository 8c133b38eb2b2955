// poetry-now: the public API. Every export is named here; nothing is re-exported wholesale.

export {
  AlreadyCalledError,
  AlreadyCancelledError,
  CannotListenError,
  ConnectError,
  ConnectionAborted,
  ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
  DNSLookupError,
  formatAddress,
  PoetryNowError,
  ReactorAlreadyRunningError,
  ReactorNotRunningError,
  TimeoutError,
  UserCancelledError,
} from './internet/errors.js';
export type {
  Address,
  ConnectOptions,
  ErrorReporter,
  IClientFactory,
  IConnector,
  IDelayedCall,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IPushProducer,
  IReactor,
  IReactorTCP,
  IReactorTime,
  ITransport,
  ListenOptions,
} from './internet/interfaces.js';
export { ClientFactory, Factory, Protocol, ServerFactory } from './internet/protocol.js';
export {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  Reactor,
  type ReactorOptions,
  reactor,
  reportErrorToStderr,
} from './internet/reactor.js';
