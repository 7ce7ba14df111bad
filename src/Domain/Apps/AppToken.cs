using System.Security.Cryptography;

namespace Provisioning.Domain.Apps;

/// <summary>Publishable app tokens: 25 lowercase base-36 characters (about 129 random bits), shaped like Sunshine's.</summary>
public static class AppToken
{
    public const int Length = 25;
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);
}
