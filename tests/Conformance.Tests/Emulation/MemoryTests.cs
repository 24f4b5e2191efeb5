using Conformance.Emulation;
using Conformance.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Conformance.Tests.Emulation;

/// <summary>Regions, the clock, store atomicity and the byte history of code.</summary>
public class MemoryTests
{
    private static ByteHistory TextHistory(Rig rig) => rig.Memory.Find(Rig.Text)!.History!;

    private static long LastChange(Rig rig, ulong address) => TextHistory(rig).LastChange((int)(address - Rig.Text));

    [Fact]
    public void A_store_of_up_to_8_bytes_inside_one_line_is_one_event()
    {
        var rig = new Rig();
        long before = rig.Memory.Now;

        long t = rig.Memory.Poke(Rig.Text + 0x48, [1, 2, 3, 4, 5, 6, 7, 8]);   // bytes 8..15 of a line

        Assert.Equal(before + 1, t);
        Assert.Equal(t, rig.Memory.Now);
        for (ulong i = 0; i < 8; i++)
            Assert.Equal(t, LastChange(rig, Rig.Text + 0x48 + i));
        Assert.Equal(8, TextHistory(rig).Count);
    }

    [Fact]
    public void A_store_ending_exactly_at_the_end_of_a_line_is_one_event()
    {
        var rig = new Rig();
        long before = rig.Memory.Now;
        long t = rig.Memory.Poke(Rig.Text + 56, [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal(before + 1, t);
        Assert.Equal(t, LastChange(rig, Rig.Text + 56));
        Assert.Equal(t, LastChange(rig, Rig.Text + 63));
    }

    [Fact]
    public void A_store_crossing_a_line_is_split_into_byte_events_lowest_address_first()
    {
        var rig = new Rig();
        long before = rig.Memory.Now;

        long t = rig.Memory.Poke(Rig.Text + 62, [1, 2, 3, 4]);

        Assert.Equal(before + 4, t);
        Assert.Equal(t, rig.Memory.Now);
        for (ulong i = 0; i < 4; i++)
            Assert.Equal(before + 1 + (long)i, LastChange(rig, Rig.Text + 62 + i));
    }

    [Fact]
    public void A_store_of_more_than_8_bytes_is_split_even_inside_one_line()
    {
        var rig = new Rig();
        long before = rig.Memory.Now;

        long t = rig.Memory.Poke(Rig.Text, new byte[16]);

        Assert.Equal(before + 16, t);
        for (ulong i = 0; i < 16; i++)
            Assert.Equal(before + 1 + (long)i, LastChange(rig, Rig.Text + i));
    }

    [Fact]
    public void An_instruction_store_inside_a_line_ticks_the_clock_once_and_a_split_one_per_byte()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(rax, 0x0102030405060708);
            a.nop();
            a.mov(__qword_ptr[Rig.Data + 8], rax);    // inside a line
            a.mov(__qword_ptr[Rig.Data + 60], rax);   // across a line boundary
        });
        rig.Run(2);

        long t0 = rig.Memory.Now;
        rig.Cpu.Step();
        Assert.Equal(t0 + 2, rig.Memory.Now);   // the step's tick and one store event

        long t1 = rig.Memory.Now;
        rig.Cpu.Step();
        Assert.Equal(t1 + 1 + 8, rig.Memory.Now);   // the step's tick and eight byte events
        Assert.Equal(0x0102030405060708UL, rig.Read64(Rig.Data + 60));
    }

    [Fact]
    public void Each_step_advances_the_clock()
    {
        var rig = new Rig().Load([0x90, 0x90, 0x90]);
        long before = rig.Memory.Now;
        rig.Run(3);
        Assert.Equal(before + 3, rig.Memory.Now);
    }

    [Fact]
    public void ByteAt_answers_what_a_byte_held_at_each_moment()
    {
        var rig = new Rig().Load([0x90]);   // loaded before the run: the image at time 0
        ulong at = Rig.Text;
        rig.Memory.Tick();
        long t1 = rig.Memory.Poke(at, [0xcc]);
        rig.Memory.Tick();
        rig.Memory.Tick();
        long t2 = rig.Memory.Poke(at, [0xe8]);
        long t3 = rig.Memory.Poke(at, [0x0f]);

        Assert.Equal(0x90, rig.Memory.ByteAt(at, 0));
        Assert.Equal(0x90, rig.Memory.ByteAt(at, t1 - 1));
        Assert.Equal(0xcc, rig.Memory.ByteAt(at, t1));
        Assert.Equal(0xcc, rig.Memory.ByteAt(at, t2 - 1));
        Assert.Equal(0xe8, rig.Memory.ByteAt(at, t2));
        Assert.Equal(0x0f, rig.Memory.ByteAt(at, t3));
        Assert.Equal(0x0f, rig.Memory.ByteAt(at, long.MaxValue));
        Assert.Equal(0x00, rig.Memory.ByteAt(at + 1, t1));   // never written
        Assert.Equal(3, TextHistory(rig).Count);
    }

    [Fact]
    public void Rostedts_vector_a_call_poked_across_a_line_is_seen_torn_in_between()
    {
        // A 5-byte call placed so that a line boundary falls after "e8 01": one 5-byte poke of a
        // new target is not one event, and a fetch in between sees a target that is neither.
        var rig = new Rig();
        ulong line = Rig.Text + 0x400;
        ulong at = line + 62;
        rig.Load([0xe8, 0x01, 0x02, 0x03, 0x04], at);
        long t0 = rig.Memory.Now;

        long t = rig.Memory.Poke(at, [0xe8, 0xab, 0xcd, 0xef, 0x01]);

        Assert.Equal(t0 + 5, t);
        Assert.Equal("e801020304", At(rig, at, t0));
        Assert.Equal("e801020304", At(rig, at, t0 + 1));   // e8 rewritten with itself
        Assert.Equal("e8ab020304", At(rig, at, t0 + 2));
        Assert.Equal("e8abcd0304", At(rig, at, t0 + 3));
        Assert.Equal("e8abcdef04", At(rig, at, t0 + 4));
        Assert.Equal("e8abcdef01", At(rig, at, t0 + 5));

        // What a CPU decoding at t0 + 3 would call: neither the old target nor the new one.
        var torn = rig.Memory.Decoded.DecodeBytes(at, Convert.FromHexString(At(rig, at, t0 + 3)), out bool ranOut);
        Assert.False(ranOut);
        ulong oldTarget = at + 5 + 0x04030201, newTarget = at + 5 + 0x01efcdab;
        Assert.NotEqual(oldTarget, torn.Instruction.NearBranch64);
        Assert.NotEqual(newTarget, torn.Instruction.NearBranch64);
    }

    [Fact]
    public void Two_stores_one_per_line_show_the_second_line_new_and_the_first_old()
    {
        // A writer that stores the second line's part first: in between, "e8 01 cd ef 01".
        var rig = new Rig();
        ulong at = Rig.Text + 0x400 + 62;
        rig.Load([0xe8, 0x01, 0x02, 0x03, 0x04], at);
        long t0 = rig.Memory.Now;

        long tail = rig.Memory.Poke(at + 2, [0xcd, 0xef, 0x01]);   // one event: inside the next line
        long head = rig.Memory.Poke(at, [0xe8, 0xab]);              // one event: the end of the first line

        Assert.Equal(t0 + 1, tail);
        Assert.Equal(t0 + 2, head);
        Assert.Equal("e801020304", At(rig, at, t0));
        Assert.Equal("e801cdef01", At(rig, at, tail));
        Assert.Equal("e8abcdef01", At(rig, at, head));
    }

    [Fact]
    public void Regions_may_touch_but_not_overlap()
    {
        var memory = new Memory();
        memory.Map("a", RegionKind.Text, 0x1000, 0x1000);
        memory.Map("b", RegionKind.Data, 0x2000, 0x1000);   // touching is fine
        var e = Assert.Throws<ArgumentException>(() => memory.Map("c", RegionKind.Stack, 0x1800, 0x1000));
        Assert.Contains("'c'", e.Message);
        Assert.Throws<ArgumentException>(() => memory.Map("d", RegionKind.Data, 0x0800, 0x3000));   // covers both
        Assert.Throws<ArgumentException>(() => memory.Map("e", RegionKind.Data, 0x1fff, 1));
        Assert.Equal(2, memory.Regions.Count);
    }

    [Fact]
    public void Regions_are_found_by_address_and_kept_in_address_order()
    {
        var memory = new Memory();
        var high = memory.Map("high", RegionKind.Data, 0x9000, 0x100);
        var low = memory.Map("low", RegionKind.Text, 0x1000, 0x100);
        Assert.Same(low, memory.Regions[0]);
        Assert.Same(high, memory.Regions[1]);
        Assert.Same(low, memory.Find(0x10ff));
        Assert.Null(memory.Find(0x1100));
        Assert.Same(high, memory.Find(0x9000));
        Assert.Null(memory.Find(0x8fff));
        Assert.Null(memory.Find(ulong.MaxValue));
    }

    [Fact]
    public void Only_code_regions_keep_history()
    {
        var rig = new Rig();
        Assert.NotNull(rig.Memory.Find(Rig.Text)!.History);
        Assert.NotNull(rig.Memory.Find(Rig.Stubs)!.History);
        Assert.Null(rig.Memory.Find(Rig.Data)!.History);
        Assert.Null(rig.Memory.Find(Rig.Stack)!.History);
    }

    [Fact]
    public void Pokes_and_loads_outside_one_region_are_rejected()
    {
        var rig = new Rig();
        Assert.Throws<ArgumentException>(() => rig.Memory.Poke(Rig.Text + Rig.TextSize - 2, [1, 2, 3, 4]));
        Assert.Throws<ArgumentException>(() => rig.Memory.Poke(0x1000, [1]));
        Assert.Throws<ArgumentException>(() => rig.Memory.Load(Rig.Data + Rig.DataSize - 1, [1, 2]));
        Assert.Throws<ArgumentException>(() => rig.Memory.ReadCurrent(0x1000, new byte[1]));
    }

    [Fact]
    public void Loads_by_instructions_see_the_newest_stores()
    {
        var rig = new Rig().Assemble(a =>
        {
            a.mov(__dword_ptr[Rig.Data], 0x11223344);
            a.mov(eax, __dword_ptr[Rig.Data]);
            a.mov(bl, __byte_ptr[Rig.Data + 2]);
        });
        rig.Run(3);
        Assert.Equal(0x11223344UL, rig.State[Gpr.Rax]);
        Assert.Equal(0x22UL, rig.State[Gpr.Rbx]);
    }

    private static string At(Rig rig, ulong address, long time)
    {
        var b = new byte[5];
        for (int i = 0; i < 5; i++) b[i] = rig.Memory.ByteAt(address + (ulong)i, time);
        return Convert.ToHexString(b).ToLowerInvariant();
    }
}
