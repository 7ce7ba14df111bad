// Type-checked under `strict` by `npm run build` (not run): the nulls the API documents must be typed as null, in
// answers (a key that never expires: `expiresAt: null`) and in requests (`maxApps: null`: no budget of its own).
import type { KeyDto, TenantDto, UpdateTenantRequest } from '../src/ProvisioningClient.js';

declare const key: KeyDto;
export const neverExpires: Date | null = key.expiresAt;
export const neverUsed: Date | null = key.lastUsedAt;

declare const tenant: TenantDto;
export const noBudget: number | null = tenant.maxApps;
export const noLogo: string | null = tenant.logoUrl;

export const unlimited: UpdateTenantRequest = { maxApps: null, maxTenants: null, logoUrl: null };
