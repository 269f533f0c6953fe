import 'maplibre-gl/dist/maplibre-gl.css';
import './styles.css';
import { render } from 'preact';
import { Boot } from './app/boot';

const root = document.getElementById('app');
if (root) render(<Boot />, root);
