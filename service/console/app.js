// The console's entry module: served by Redress itself (service/console/).
import { start } from './router.js';

start(document.getElementById('app'));
