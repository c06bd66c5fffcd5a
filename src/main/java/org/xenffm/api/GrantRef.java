// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * A grant reference (C {@code grant_ref_t}, 32 bits unsigned) for the *_gref sharing calls.
 *
 * @param value the reference, unsigned
 */
public record GrantRef(int value) {
    /**
     * The grant reference with this number.
     *
     * @param value the reference, unsigned
     * @return the reference
     */
    public static GrantRef of(int value) { return new GrantRef(value); }

    @Override public String toString() { return "gref " + Integer.toUnsignedString(value); }
}
