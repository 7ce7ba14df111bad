using System.Text;
using Microsoft.AspNetCore.Http;
using Provisioning.WebApi.Authentication;

namespace Provisioning.UnitTests.WebApi;

public sealed class PresentedCredentialsTests
{
    private const string KeyId = "act_0123456789abcdef01234567";

    private static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static string B64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TheoryData<string?, string?> Headers => new()
    {
        { Basic(KeyId, "anything"), KeyId },
        { Basic("api", KeyId + ".secret"), KeyId },
        { Basic("", KeyId + ".secret"), KeyId },
        // A token with any user name, a key id's shape too: the token's key is the one named (and counted by the guard).
        { Basic("svc_fedcba9876543210fedcba98", KeyId + ".secret"), KeyId },
        { Basic("svc_fedcba9876543210fedcba98", "a-key-secret"), "svc_fedcba9876543210fedcba98" },
        { "Bearer " + KeyId + ".secret", KeyId },
        { "bearer " + KeyId + ".secret", KeyId },
        { "Bearer " + B64Url($$"""{"alg":"HS256","kid":"{{KeyId}}"}""") + "." + B64Url("""{"scope":"account"}""") + ".c2ln", KeyId },
        // Nothing named: no header, another scheme, not base64, no colon, a user that is no key id and no token, a bad JWT.
        { null, null },
        { "Digest abc", null },
        { "Basic !!!", null },
        { "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("no-colon")), null },
        { Basic("api", "not-a-token"), null },
        { "Bearer a.b.c", null },
        { "Bearer " + B64Url("""{"alg":"HS256","kid":"nope"}""") + ".e30.c2ln", null },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void KeyIdOf_NamesTheKeyOfEveryFormOfCredentials_RightOrWrong(string? authorization, string? expected)
    {
        var context = new DefaultHttpContext();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        Assert.Equal(expected, PresentedCredentials.KeyIdOf(context.Request));
    }
}
