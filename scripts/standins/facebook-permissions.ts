/**
 * What a person granted of the permissions an app asked for. Facebook lets people decline optional permissions
 * (e.g. `email`) in the login dialog; `public_profile` is always granted (Graph reports it even when not asked).
 */

export const ALWAYS_GRANTED = 'public_profile';

export type PermissionStatus = 'granted' | 'declined';

/** One row of Graph's `/me/permissions` answer. */
export interface PermissionRow {
  permission: string;
  status: PermissionStatus;
}

/** The decision on one login: every requested permission, each granted or declined. */
export interface PermissionDecision {
  granted: string[];
  declined: string[];
}

/** Comma- or space-separated, as both the device endpoint and the dialog accept them; duplicates dropped. */
export function parseScopes(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}

/** The permissions a person can decline: everything asked for except `public_profile`. */
export function optionalScopes(requested: readonly string[]): string[] {
  return requested.filter((scope) => scope !== ALWAYS_GRANTED);
}

/**
 * `granted` undefined grants all that was asked. Otherwise a requested permission is granted when listed;
 * a listed one that was not requested is ignored (nobody can grant what the app did not ask for).
 */
export function decidePermissions(requested: readonly string[], granted?: readonly string[]): PermissionDecision {
  const asked = [ALWAYS_GRANTED, ...optionalScopes(requested)];
  const yes = new Set(granted ?? asked);
  yes.add(ALWAYS_GRANTED);
  return {
    granted: asked.filter((scope) => yes.has(scope)),
    declined: asked.filter((scope) => !yes.has(scope)),
  };
}

export function permissionRows(decision: PermissionDecision): PermissionRow[] {
  return [
    ...decision.granted.map((permission) => ({ permission, status: 'granted' as const })),
    ...decision.declined.map((permission) => ({ permission, status: 'declined' as const })),
  ];
}
