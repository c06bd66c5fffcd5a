// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * A virtual CPU index inside a domain.
 *
 * @param value the index, from 0
 */
public record VcpuId(int value) {
    /**
     * Checks the range.
     *
     * @throws IllegalArgumentException for a negative index
     */
    public VcpuId {
        if (value < 0) throw new IllegalArgumentException("negative vcpu: " + value);
    }

    /**
     * The vCPU with this index.
     *
     * @param value the index, from 0
     * @return the vCPU id
     */
    public static VcpuId of(int value) { return new VcpuId(value); }

    @Override public String toString() { return "vcpu " + value; }
}
