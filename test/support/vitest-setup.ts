// Loaded by vitest before every test file (vitest.config.ts `setupFiles`): MikroORM's legacy
// decorators with ReflectMetadataProvider read `design:type` through the Reflect metadata API.
import 'reflect-metadata';
