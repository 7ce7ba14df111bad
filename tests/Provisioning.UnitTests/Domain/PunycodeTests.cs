using System.Globalization;
using Provisioning.Domain.Common;

namespace Provisioning.UnitTests.Domain;

public sealed class PunycodeTests
{
    /// <summary>RFC 3492 §7.1's samples (lower-cased: Punycode keeps case, IDNA lower-cases first), and labels of the kinds
    /// the email rule meets, each as .NET's own IDNA encoder writes it where that encoder takes the label.</summary>
    [Theory]
    [InlineData("bücher", "xn--bcher-kva")]
    [InlineData("münchen", "xn--mnchen-3ya")]
    [InlineData("example", "example")]
    [InlineData("\u4ed6\u4eec\u4e3a\u4ec0\u4e48\u4e0d\u8bf4\u4e2d\u6587", "xn--ihqwcrb4cv8a8dqg056pqjye")] // Chinese (simplified), §7.1 (B)
    [InlineData("\u043f\u043e\u0447\u0435\u043c\u0443\u0436\u0435\u043e\u043d\u0438\u043d\u0435\u0433\u043e\u0432\u043e\u0440\u044f\u0442\u043f\u043e\u0440\u0443\u0441\u0441\u043a\u0438", "xn--b1abfaaepdrnnbgefbadotcwatmq2g4l")] // Russian, §7.1 (L), lower-cased
    public void ALabel_IsWrittenAsRfc3492Says(string label, string ascii) => Assert.Equal(ascii, Punycode.ToAscii(label));

    [Theory]
    [InlineData("\u6f22\u6f22\u6f22")]
    [InlineData("\U00020000\U00020001x")]
    [InlineData("caf\u00e9-bar")]
    [InlineData("\u05e9\u05dc\u05d5\u05dd")]
    [InlineData("\u0645\u062b\u0627\u0644")]
    public void ALabel_IsWrittenAsDotNetsIdnaEncoderWritesIt(string label) => Assert.Equal(new IdnMapping().GetAscii(label), Punycode.ToAscii(label));
}
