using System.Text;

namespace Provisioning.Domain.Common;

/// <summary>
/// A domain label as DNS holds it: itself when it is ASCII, else "xn--" and its Punycode (RFC 3492), with no mapping
/// and no check of what IDNA allows — for lengths only (<see cref="Tenants.TenantUser"/>: 63 octets a label). Not
/// <see cref="System.Globalization.IdnMapping"/>: without ICU (the service runs with invariant globalization) it applies
/// IDNA2003's rules too, which refuse a right-to-left label ending in a digit (<c>חדשות24</c>) that RFC 5893 allows (a review).
/// </summary>
public static class Punycode
{
    private const string Prefix = "xn--";
    private const int Base = 36, TMin = 1, TMax = 26, Skew = 38, Damp = 700, InitialBias = 72, InitialN = 0x80;

    public static string ToAscii(string label)
    {
        var points = label.EnumerateRunes().Select(r => r.Value).ToArray();
        if (points.All(c => c < InitialN))
        {
            return label;
        }

        var output = new StringBuilder(Prefix);
        foreach (var c in points.Where(c => c < InitialN))
        {
            output.Append((char)c);
        }

        var basic = output.Length - Prefix.Length;
        if (basic > 0)
        {
            output.Append('-');
        }

        // RFC 3492 §6.3, as written there (no overflow with a label of a few hundred code points).
        int n = InitialN, delta = 0, bias = InitialBias, handled = basic;
        while (handled < points.Length)
        {
            var next = points.Where(c => c >= n).Min();
            delta += (next - n) * (handled + 1);
            n = next;
            foreach (var c in points)
            {
                if (c < n)
                {
                    delta++;
                }
                else if (c == n)
                {
                    var q = delta;
                    for (var k = Base; ; k += Base)
                    {
                        var t = k <= bias ? TMin : k >= bias + TMax ? TMax : k - bias;
                        if (q < t)
                        {
                            break;
                        }

                        output.Append(Digit(t + ((q - t) % (Base - t))));
                        q = (q - t) / (Base - t);
                    }

                    output.Append(Digit(q));
                    bias = Adapt(delta, handled + 1, handled == basic);
                    delta = 0;
                    handled++;
                }
            }

            delta++;
            n++;
        }

        return output.ToString();
    }

    private static char Digit(int d) => (char)(d < 26 ? 'a' + d : '0' + d - 26);

    private static int Adapt(int delta, int points, bool first)
    {
        delta = first ? delta / Damp : delta / 2;
        delta += delta / points;
        var k = 0;
        while (delta > (Base - TMin) * TMax / 2)
        {
            delta /= Base - TMin;
            k += Base;
        }

        return k + ((Base - TMin + 1) * delta / (delta + Skew));
    }
}
