import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { browserLanguage } from './i18n.js';
import { connectApi } from './status-client.js';
import { connectWebBridge } from './web-bridge.js';
import './styles.css';

const language = browserLanguage(navigator);
document.documentElement.lang = language;

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

createRoot(container).render(
  <StrictMode>
    <App api={window.tessera ? connectApi(window.tessera) : connectWebBridge()} systemLanguage={language} initialHash={window.location.hash} />
  </StrictMode>,
);
