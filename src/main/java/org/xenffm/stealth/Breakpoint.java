// SPDX-License-Identifier: Apache-2.0
package org.xenffm.stealth;

import java.util.OptionalLong;
import org.xenffm.api.DomainId;

/**
 * One stealth breakpoint: where it is in the guest.
 *
 * @param domain the traced domain
 * @param gpa    the guest-physical address of the breakpointed instruction's first byte
 * @param gva    the guest-virtual address it was set at, if it was set by one (translated once, when set)
 */
public record Breakpoint(DomainId domain, long gpa, OptionalLong gva) {
    @Override public String toString() {
        return domain + " gpa 0x" + Long.toHexString(gpa) + (gva.isPresent() ? " (va 0x" + Long.toHexString(gva.getAsLong()) + ")" : "");
    }
}
