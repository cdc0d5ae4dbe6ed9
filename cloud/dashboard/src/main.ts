/** Entry point of the dashboard page (built by cloud/tools/dashboard-build.ts). */
import { render } from 'preact';
import { html } from './html.js';
import { App } from './views/app.js';

const root = document.getElementById('app')!;
root.textContent = ''; // the "Loading…" placeholder: preact renders beside what is there
render(html`<${App} />`, root);
