// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/** A virtual CPU index inside a domain. */
public record VcpuId(int value) {
    public VcpuId {
        if (value < 0) throw new IllegalArgumentException("negative vcpu: " + value);
    }

    public static VcpuId of(int value) { return new VcpuId(value); }

    @Override public String toString() { return "vcpu " + value; }
}
