using System.Text;
using Xunit.Abstractions;

namespace Statehouse.Storage.Tests;

public sealed class Crc32CTests(ITestOutputHelper output)
{
    [Fact]
    public void Compute_ReturnsCheckValue_WhenInputIs123456789()
    {
        byte[] input = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Compute(input));
        Assert.Equal(0xE3069283u, Crc32C.AppendSoftware(0, input));
    }

    [Fact]
    public void Compute_ReturnsKnownValue_WhenInputIs32Zeros()
    {
        // RFC 3720 (iSCSI) appendix B.4 test vector.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    [Fact]
    public void Append_MatchesSoftwareAndOneShot_WhenInputIsSplitAnywhere()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (int trial = 0; trial < 200; trial++)
        {
            var data = new byte[random.Next(0, 300)];
            random.NextBytes(data);
            int split = random.Next(0, data.Length + 1);
            uint oneShot = Crc32C.Compute(data);
            Assert.True(oneShot == Crc32C.AppendSoftware(0, data), $"seed {seed} trial {trial}: hardware != software");
            Assert.True(oneShot == Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)), $"seed {seed} trial {trial}: split at {split}");
        }
    }
}
