// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.nio.file.Path;

/** {@link Tmpfs} for tests in other packages. */
public final class TmpfsAccess implements AutoCloseable {
    private final Tmpfs fs;

    private TmpfsAccess(Tmpfs fs) { this.fs = fs; }

    public static TmpfsAccess mount(Path dir, String size) throws Exception { return new TmpfsAccess(Tmpfs.mount(dir, size)); }

    public Path dir() { return fs.dir(); }

    public void fill() throws java.io.IOException { fs.fill(); }

    @Override public void close() throws Exception { fs.close(); }
}
