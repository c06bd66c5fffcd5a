// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Guest frames mapped into this process (xenforeignmemory_map). While the mapping is open each page carries an
 * extra reference, so nominating it fails with E2BIG, as on Xen. Writes through a writable mapping unshare.
 */
public interface ForeignMapping extends AutoCloseable {
    DomainId domain();

    List<Gfn> gfns();

    /** The mapped bytes, 4096 per gfn in order. Writing requires a writable mapping. */
    MemorySegment memory();

    @Override void close();
}
