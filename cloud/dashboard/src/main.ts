/** Entry point of the dashboard page (built by cloud/tools/dashboard-build.ts). */
import { render } from 'preact';
import { html } from './html.js';
import { App } from './views/app.js';

render(html`<${App} />`, document.getElementById('app')!);
