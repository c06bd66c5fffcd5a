// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;
import org.xenffm.api.Hypervisor;
import org.xenffm.emulated.EmulatedHypervisor;

/**
 * Run in a child JVM by {@link WalkSignalTest}: {@code xenffm ARGS...} on an emulated host of two 64 Ki-page guests
 * whose Hypervisor method {@code args[0]} takes 1 ms a call, so a walk over the guest lasts about a minute; READY is
 * printed once that method ran 200 times, and the test sends SIGTERM.
 */
public final class WalkSigtermChild {
    public static void main(String[] args) throws Exception {
        EmulatedHypervisor emu = EmulatedHost.start(EmulatedHostSpec.parse("2x65536"));
        AtomicLong calls = new AtomicLong();
        Hypervisor slow = (Hypervisor) Proxy.newProxyInstance(Hypervisor.class.getClassLoader(),
                new Class<?>[] {Hypervisor.class}, (p, m, a) -> {
                    if (m.getName().equals(args[0])) {
                        calls.incrementAndGet();
                        Thread.sleep(1);
                    }
                    try {
                        return m.invoke(emu, a);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        PrintWriter out = new PrintWriter(System.out, true);
        String[] cli = new String[args.length + 1];
        cli[0] = "--backend";
        cli[1] = "emulated";
        System.arraycopy(args, 1, cli, 2, args.length - 1);
        Thread.ofPlatform().daemon(true).start(() -> Main.execute(cli, out, new PrintWriter(System.err, true),
                Backends.Opener.lending(slow), false));
        while (calls.get() < 200) Thread.sleep(5);
        System.out.println("READY");
        Thread.sleep(Long.MAX_VALUE);
    }
}
