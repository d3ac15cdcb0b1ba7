package dev.tern.util;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter with one writing thread and any number of readers: increments are plain read + opaque write, so the hot
 * path pays no atomic instruction. Only the owning thread may call the mutating methods.
 */
public final class Counter
{
    private static final VarHandle VALUE;

    static
    {
        try
        {
            VALUE = MethodHandles.lookup().findVarHandle(Counter.class, "value", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final String name;
    private long value;

    public Counter(final String name)
    {
        this.name = name;
    }

    public String name()
    {
        return name;
    }

    public void increment()
    {
        VALUE.setOpaque(this, value + 1);
    }

    public void decrement()
    {
        VALUE.setOpaque(this, value - 1);
    }

    public void add(final long delta)
    {
        VALUE.setOpaque(this, value + delta);
    }

    public void set(final long newValue)
    {
        VALUE.setOpaque(this, newValue);
    }

    /** @return the latest value visible to the calling thread. */
    public long get()
    {
        return (long)VALUE.getOpaque(this);
    }

    @Override
    public String toString()
    {
        return name + "=" + get();
    }
}
