import { defineConfig } from 'prisma/config';

// Minimal config: `prisma generate` only. Migrations are hand-written SQL applied by src/store/migrate.ts.
export default defineConfig({ schema: 'prisma/schema.prisma' });
