// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;

/**
 * One host p2m position: what the sharing rmap records for a shared frame (mem_sharing.c gfn_info).
 *
 * @param domain the domain
 * @param gfn    the gfn in its host p2m
 */
public record Slot(DomainId domain, Gfn gfn) {
    @Override public String toString() { return domain + ":" + gfn; }
}
