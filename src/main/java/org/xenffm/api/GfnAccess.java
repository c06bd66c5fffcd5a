// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** One (gfn, access) pair for the *_set_mem_access_multi calls. */
public record GfnAccess(Gfn gfn, MemAccess access) {}
