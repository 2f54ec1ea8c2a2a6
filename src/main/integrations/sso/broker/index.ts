/** Token broker for local applications: peer identification on the control socket and the allow-list. */
export { identifyPeer, peerInodeFromSs, socketFd, type IdentifyOptions, type PeerIdentity, type PeerProcess } from './peer-process.js';
export { TokenBroker, type BrokerApplication, type BrokerAudience, type BrokerVault, type TokenBrokerOptions, type TokenGrant } from './token-broker.js';
export { brokerSettings } from './broker-config.js';
