// Type-checked under `strict` by `npm run build` (not run): the nulls the API documents must be typed as null, in
// answers (a key that never expires: `expiresAt: null`) and in requests (`maxApps: null`: no budget of its own); times
// as the strings JSON brings (RFC 3339): the client does not turn them into Date objects.
import type { KeyDto, TenantDto, UpdateTenantRequest } from '../src/ProvisioningClient.js';

declare const key: KeyDto;
export const neverExpires: string | null = key.expiresAt;
export const neverUsed: string | null = key.lastUsedAt;
export const made: string = key.createdAt;

declare const tenant: TenantDto;
export const noBudget: number | null = tenant.maxApps;
export const noLogo: string | null = tenant.logoUrl;

export const unlimited: UpdateTenantRequest = { maxApps: null, maxTenants: null, logoUrl: null };
