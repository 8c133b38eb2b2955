// poetry-now: the public API. Every export is named here; nothing is re-exported wholesale.

export { formatAddress } from './internet/address.js';
export {
  AddressInUseError,
  AlreadyCalledError,
  AlreadyCancelledError,
  asPoetryError,
  CannotListenError,
  CertificateError,
  CertificateHostMismatchError,
  ConnectError,
  ConnectionAborted,
  ConnectionClosed,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  ConnectTimeoutError,
  DNSLookupError,
  ExpiredCertificateError,
  type PoetryErrorOptions,
  PoetryNowError,
  ReactorAlreadyRunningError,
  ReactorNotRunningError,
  SelfSignedCertificateError,
  TimeoutError,
  TLSConfigError,
  TLSHandshakeError,
  UntrustedCertificateError,
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
  IReactorTLS,
  IReactorUNIX,
  ITransport,
  ListenOptions,
  PEM,
  PortOptions,
  TLSConnectOptions,
  TLSListenOptions,
  UNIXListenOptions,
} from './internet/interfaces.js';
export { ClientFactory, Factory, Protocol, ServerFactory } from './internet/protocol.js';
export {
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  Reactor,
  type ReactorOptions,
  reactor,
  reportErrorToStderr,
} from './internet/reactor.js';
export {
  DEFAULT_HOST,
  type Endpoint,
  formatEndpoint,
  type HostEndpoint,
  parseAddress,
  type UNIXEndpoint,
} from './poetry/address.js';
export {
  getPoetry,
  type PoemCallback,
  type PoemErrback,
  type PoemTimeouts,
  PoetryClientFactory,
  type PoetryClientOptions,
  PoetryProtocol,
  type PoetryTLSOptions,
} from './poetry/client.js';
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_MAX_BYTES,
} from './poetry/defaults.js';
export {
  EmptyPoemError,
  IdleTimeoutError,
  InvalidAddressError,
  PoemError,
  PoemFileError,
  PoemIncompleteError,
  PoemSinkError,
  PoemTimeoutError,
  PoemTooLargeError,
  reasonOf,
} from './poetry/errors.js';
export type {
  ChunkEvent,
  ConnectedEvent,
  ConnectingEvent,
  DoneEvent,
  FailedEvent,
  FetchEvent,
  FetchEventListener,
  FirstByteEvent,
  QueuedEvent,
  RetryingEvent,
} from './poetry/events.js';
export {
  type AddressLike,
  type AddressSource,
  fetchPoem,
  fetchPoems,
  isOutOfFileDescriptors,
  type PoemResult,
  PoetryQueue,
  type PoetryQueueOptions,
  poemsAsCompleted,
} from './poetry/fetch.js';
export { type PoetryMainResult, poetryMain } from './poetry/main.js';
export { Poem, type PoemInit, type PoemTimings } from './poetry/poem.js';
export {
  isRetryable,
  type RetryOptions,
  type RetrySettings,
  retryDelaySeconds,
} from './poetry/retry.js';
export {
  DEFAULT_BACKLOG,
  DEFAULT_DELAY_SECONDS,
  DEFAULT_GRACE_SECONDS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_NUM_BYTES,
  DEFAULT_STALL_TIMEOUT_SECONDS,
  PoetryServer,
  PoetryServerFactory,
  type PoetryServerOptions,
  PoetryServerProtocol,
  type ServeOptions,
  type ServerLogger,
  servePoetry,
  silentLogger,
} from './poetry/server.js';
export {
  type BlockReader,
  BufferPoemSource,
  DEFAULT_IN_MEMORY_LIMIT_BYTES,
  FileHandleReader,
  FilePoemSource,
  type OpenPoemFileOptions,
  openPoemFile,
  type PoemCursor,
  type PoemSource,
} from './poetry/server-source.js';
export { FileSink, type PoemSink, type PoemSinkListener } from './poetry/sink.js';
export {
  renderTimeline,
  renderTimelineHtml,
  renderTimelineSvg,
  summarizeTimeline,
  type TimelineFormat,
  type TimelineOptions,
  TimelineRecorder,
  type TimelineRun,
  type TimelineSummary,
  timelineFormatOf,
} from './timeline/index.js';
