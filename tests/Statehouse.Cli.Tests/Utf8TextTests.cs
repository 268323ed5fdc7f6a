namespace Statehouse.Cli.Tests;

public sealed class Utf8TextTests
{
    [Fact]
    public void Encode_KeepsValidUtf8_AsText()
    {
        Assert.Equal(("héllo ✓", "utf8"), Utf8Text.Encode("héllo ✓"u8));
    }

    [Fact]
    public void Encode_FallsBackToBase64_ForInvalidUtf8()
    {
        Assert.Equal(("/wA=", "base64"), Utf8Text.Encode([0xff, 0x00]));
    }

    [Fact]
    public void Display_PrefixesBase64()
    {
        Assert.Equal("base64:/wA=", Utf8Text.Display([0xff, 0x00]));
        Assert.Equal("plain", Utf8Text.Display("plain"u8));
    }

    [Theory]
    [InlineData("a b", "a b")]
    [InlineData("a\nb\tc\r", @"a\nb\tc\r")]
    [InlineData("back\\slash", @"back\\slash")]
    [InlineData("bell\u0007", @"bell\x07")]
    public void OneLine_EscapesControlCharacters(string text, string expected)
    {
        Assert.Equal(expected, Utf8Text.OneLine(text));
    }

    [Theory]
    [InlineData("short", 10, "short")]
    [InlineData("exactly10!", 10, "exactly10!")]
    [InlineData("much longer than ten", 10, "much long…")]
    public void Preview_CutsWithAnEllipsis(string text, int max, string expected)
    {
        Assert.Equal(expected, Utf8Text.Preview(text, max));
    }
}
