// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.util.ArrayList;
import java.util.List;

/**
 * The x86 page walk (Intel SDM vol. 3, sections 4.3–4.5) over guest-physical memory, in every paging mode: 32-bit (4 KiB and,
 * with CR4.PSE, 4 MiB pages incl. PSE-36 high bits), PAE (2 MiB pages), 4- and 5-level IA-32e (2 MiB and 1 GiB
 * pages), with NX. Accessed/dirty bits are not written: this is an introspection walk, not the CPU's.
 */
public final class X86PageWalk {
    /** Reads guest-physical memory for the walk (the tables' entries). */
    public interface Physical {
        /**
         * 8 little-endian bytes at a guest-physical address (8-byte aligned for PAE/IA-32e entries).
         *
         * @param gpa the guest-physical address
         * @return the value
         */
        long u64(long gpa);

        /**
         * 4 little-endian bytes at a guest-physical address (32-bit paging entries).
         *
         * @param gpa the guest-physical address
         * @return the value
         */
        int u32(long gpa);
    }

    private static final long P = 1, RW = 2, US = 4, PS = 0x80, NX = 1L << 63;
    /** Bits 12..51 of a PAE/IA-32e entry (MAXPHYADDR 52). */
    private static final long ADDR = 0x000f_ffff_ffff_f000L;

    private X86PageWalk() {}

    /**
     * Translates {@code va} in {@code as}, reading every table entry through {@code mem}.
     *
     * @param mem reads the tables
     * @param as  the address space
     * @param va  the guest-virtual address
     * @return the walk, the guest-physical address, page size and permissions
     * @throws TranslationException a non-present entry, a reserved bit (NX without EFER.NXE, low address bits of a
     *                              large page), or a non-canonical address
     */
    public static Translation walk(Physical mem, AddressSpace as, long va) {
        return switch (as.mode()) {
            case NONE -> new Translation(va, va, as, List.of(), 4096, true, true, false);
            case LEGACY -> legacy(mem, as, va);
            case PAE -> wide(mem, as, va, 3, (as.cr3() & 0xffff_ffe0L), new int[]{30, 21, 12});
            case LONG4 -> {
                checkCanonical(va, 48);
                yield wide(mem, as, va, 4, as.cr3() & ADDR, new int[]{39, 30, 21, 12});
            }
            case LONG5 -> {
                checkCanonical(va, 57);
                yield wide(mem, as, va, 5, as.cr3() & ADDR, new int[]{48, 39, 30, 21, 12});
            }
        };
    }

    private static void checkCanonical(long va, int bits) {
        long top = va >> (bits - 1);
        if (top != 0 && top != -1) throw new TranslationException(va, TranslationException.Reason.NON_CANONICAL, List.of());
    }

    private static final String[] NAMES5 = {"PT", "PD", "PDPT", "PML4", "PML5"};

    /** PAE and IA-32e: 8-byte entries; PAE's top level is the 4-entry PDPT (no RW/US/NX there). */
    private static Translation wide(Physical mem, AddressSpace as, long va, int levels, long table, int[] shifts) {
        List<Translation.Level> walk = new ArrayList<>(levels);
        boolean w = true, u = true, nx = false;
        for (int i = 0; i < levels; i++) {
            int level = levels - i, shift = shifts[i];
            int index = (int) ((va >>> shift) & (level == 3 && as.mode() == PagingMode.PAE ? 3 : 0x1ff));
            long e = mem.u64(table + 8L * index);
            walk.add(new Translation.Level(level, NAMES5[level - 1], table, index, e));
            if ((e & P) == 0) throw new TranslationException(va, TranslationException.Reason.NOT_PRESENT, walk);
            if ((e & NX) != 0 && !as.nxe()) throw new TranslationException(va, TranslationException.Reason.RESERVED_BIT, walk);
            boolean paePdpt = as.mode() == PagingMode.PAE && level == 3;
            if (!paePdpt) {
                w &= (e & RW) != 0;
                u &= (e & US) != 0;
                nx |= (e & NX) != 0;
            }
            boolean large = !paePdpt && (level == 2 || level == 3) && (e & PS) != 0;
            if (large || level == 1) {
                long size = 1L << shift;
                long base = e & ADDR & ~(size - 1);
                if (large && (e & ADDR & (size - 1) & ~0x1000L) != 0)   // reserved low bits of a large-page address
                    throw new TranslationException(va, TranslationException.Reason.RESERVED_BIT, walk);
                return new Translation(va, base | (va & (size - 1)), as, walk, size, w, u, nx);
            }
            table = e & ADDR;
        }
        throw new AssertionError("unreachable");
    }

    /** 32-bit paging: 4-byte entries, PD then PT; 4 MiB pages with CR4.PSE (PSE-36: PDE bits 13..20 → pa 32..39). */
    private static Translation legacy(Physical mem, AddressSpace as, long va) {
        va &= 0xffff_ffffL;
        List<Translation.Level> walk = new ArrayList<>(2);
        long pdBase = as.cr3() & 0xffff_f000L;
        int pdi = (int) (va >>> 22);
        long pde = Integer.toUnsignedLong(mem.u32(pdBase + 4L * pdi));
        walk.add(new Translation.Level(2, "PD", pdBase, pdi, pde));
        if ((pde & P) == 0) throw new TranslationException(va, TranslationException.Reason.NOT_PRESENT, walk);
        if ((pde & PS) != 0 && as.pse()) {
            long pa = (pde & 0xffc0_0000L) | (((pde >>> 13) & 0xff) << 32);
            return new Translation(va, pa | (va & 0x3f_ffff), as, walk, 4L << 20, (pde & RW) != 0, (pde & US) != 0, false);
        }
        long ptBase = pde & 0xffff_f000L;
        int pti = (int) ((va >>> 12) & 0x3ff);
        long pte = Integer.toUnsignedLong(mem.u32(ptBase + 4L * pti));
        walk.add(new Translation.Level(1, "PT", ptBase, pti, pte));
        if ((pte & P) == 0) throw new TranslationException(va, TranslationException.Reason.NOT_PRESENT, walk);
        return new Translation(va, (pte & 0xffff_f000L) | (va & 0xfff), as, walk, 4096,
                (pde & pte & RW) != 0, (pde & pte & US) != 0, false);
    }
}
