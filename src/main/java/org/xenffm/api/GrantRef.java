// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** A grant reference (C {@code grant_ref_t}, 32 bits unsigned) for the *_gref sharing calls. */
public record GrantRef(int value) {
    public static GrantRef of(int value) { return new GrantRef(value); }

    @Override public String toString() { return "gref " + Integer.toUnsignedString(value); }
}
