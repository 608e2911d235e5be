#!/usr/bin/env node
/**
 * The executable. It only tunes the heap, then loads the command line: the setting
 * must be in place before the modules are loaded, since loading grows the heap.
 */
import { keepYoungGenerationSmall } from './cli/young-generation.js';

keepYoungGenerationSmall();
await import('./cli/main.js');
