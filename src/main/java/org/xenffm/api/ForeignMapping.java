// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Guest frames mapped into this process (xenforeignmemory_map). While the mapping is open each page carries an
 * extra reference, so nominating it fails with E2BIG, as on Xen. Writes through a writable mapping unshare.
 */
public interface ForeignMapping extends AutoCloseable {
    /** {@return the domain whose memory is mapped} */
    DomainId domain();

    /** {@return the mapped gfns, in the order of {@link #memory()}} */
    List<Gfn> gfns();

    /** {@return the mapped bytes, 4096 per gfn in order; writing requires a writable mapping} */
    MemorySegment memory();

    /** Unmaps the pages (xenforeignmemory_unmap), dropping their extra references. Idempotent. */
    @Override void close();
}
