// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * One (gfn, access) pair for the *_set_mem_access_multi calls.
 *
 * @param gfn    the guest frame
 * @param access its new access
 */
public record GfnAccess(Gfn gfn, MemAccess access) {}
