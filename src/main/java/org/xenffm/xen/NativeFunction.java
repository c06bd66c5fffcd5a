package org.xenffm.xen;

import java.lang.foreign.FunctionDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One C function the backend calls: the library exporting it, its symbol name and its signature. The signature
 * comes from the jextract bindings ({@code Xen.xc_foo$descriptor()}); it is a supplier because touching a
 * bindings holder class resolves the symbol, which only works once {@link XenLibrary} has loaded the library.
 * Each family file declares its functions as {@code static final NativeFunction} constants, so the complete list
 * is found by reflection ({@link #declaredIn}) and a test can check every one of them resolves.
 */
record NativeFunction(XenLibrary.Lib lib, String name, Supplier<FunctionDescriptor> descriptor) {

    static NativeFunction xenctrl(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.XENCTRL, name, d);
    }

    static NativeFunction xenevtchn(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.XENEVTCHN, name, d);
    }

    static NativeFunction xenforeignmemory(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.XENFOREIGNMEMORY, name, d);
    }

    static NativeFunction libc(String name, Supplier<FunctionDescriptor> d) {
        return new NativeFunction(XenLibrary.Lib.LIBC, name, d);
    }

    /** Every {@code static final NativeFunction} constant declared in the given classes, in declaration order. */
    static List<NativeFunction> declaredIn(Class<?>... classes) {
        List<NativeFunction> all = new ArrayList<>();
        for (Class<?> c : classes) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (f.getType() != NativeFunction.class || !Modifier.isStatic(m) || !Modifier.isFinal(m)) continue;
                try {
                    f.setAccessible(true);
                    all.add((NativeFunction) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return List.copyOf(all);
    }

    @Override public String toString() { return name + " (" + lib + ")"; }
}
