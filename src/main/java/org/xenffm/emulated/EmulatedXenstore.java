// SPDX-License-Identifier: Apache-2.0
package org.xenffm.emulated;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.xenffm.api.Errno;
import org.xenffm.api.HypervisorCrashedException;
import org.xenffm.api.XenException;
import org.xenffm.api.Xenstore;

/**
 * The emulated host's xenstore, as dom0 (which may read and write every node) sees it through libxenstore. The tree
 * starts as xen-init-dom0 leaves it ({@code /local/domain/0/name = "Domain-0"}, {@code domid = 0});
 * {@link EmulatedHypervisor#createGuest(GuestSpec, String)} names a guest as libxl does and
 * {@link EmulatedHypervisor#destroyGuest} removes its directory as {@code xl destroy} does. A bare
 * xc_domain_create / xc_domain_destroy leaves xenstore alone, as on real Xen. One handle per
 * {@link EmulatedHypervisor#xenstoreOpen()}; all handles share the host's tree.
 */
public final class EmulatedXenstore implements Xenstore {
    /** xenstored_core.h XENSTORE_PAYLOAD_MAX: the largest value a write carries. */
    static final int PAYLOAD_MAX = 4096;

    /** The nodes, full path → value; every node's parent exists ("/" always). */
    static final class Tree {
        private final TreeMap<String, String> nodes = new TreeMap<>();

        Tree() {
            nodes.put("/", "");
            // tools/helpers/xen-init-dom0.c: the toolstack's record of dom0
            write("/local/domain/0/name", "Domain-0");
            write("/local/domain/0/domid", "0");
        }

        Optional<String> read(String path) { return Optional.ofNullable(nodes.get(path)); }

        /** xenstored_core.c:do_write → create_node: missing parents are created with empty values. */
        void write(String path, String value) {
            if (value.getBytes(StandardCharsets.UTF_8).length > PAYLOAD_MAX) throw Rc.of(Errno.E2BIG);
            for (int i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1))
                nodes.putIfAbsent(path.substring(0, i), "");
            nodes.put(path, value);
        }

        /** xenstored_core.c:do_directory: the children's names; ENOENT for a missing node. */
        List<String> directory(String path) {
            if (!nodes.containsKey(path)) throw Rc.of(Errno.ENOENT);
            String prefix = path.equals("/") ? "/" : path + "/";
            List<String> out = new ArrayList<>();
            for (String k : nodes.tailMap(prefix, false).keySet()) {
                if (!k.startsWith(prefix)) break;
                String rest = k.substring(prefix.length());
                if (rest.indexOf('/') < 0) out.add(rest);
            }
            return out;
        }

        /** xenstored_core.c:do_rm: ENOENT for a missing node, EINVAL for the root; the subtree goes with it. */
        void rm(String path) {
            if (path.equals("/")) throw Rc.of(Errno.EINVAL);
            if (!nodes.containsKey(path)) throw Rc.of(Errno.ENOENT);
            nodes.subMap(path + "/", true, path + "0", false).clear(); // '0' is the character after '/'
            nodes.remove(path);
        }
    }

    private final Host h;
    private volatile boolean closed;

    EmulatedXenstore(Host h) { this.h = h; }

    @Override public Optional<String> read(String path) { return call("xs_read", path, () -> h.store.read(path)); }

    @Override public List<String> directory(String path) {
        return call("xs_directory", path, () -> h.store.directory(path));
    }

    @Override public void write(String path, String value) {
        call("xs_write", path, () -> { h.store.write(path, value); return null; });
    }

    @Override public void rm(String path) { call("xs_rm", path, () -> { h.store.rm(path); return null; }); }

    @Override public void close() { closed = true; }

    /** Under the host's lock; a crashed host has no dom0 left to run xenstored. */
    private <T> T call(String op, String path, java.util.function.Supplier<T> body) {
        if (closed) throw new IllegalStateException(op + ": xenstore handle closed");
        Xenstore.checkPath(path);
        h.lock.lock();
        try {
            if (h.panic != null) throw new HypervisorCrashedException(op, null, null, null, h.panic);
            return body.get();
        } catch (Rc rc) {
            throw new XenException(op, null, null, null, rc.errno, "at " + path);
        } finally {
            h.lock.unlock();
        }
    }
}
