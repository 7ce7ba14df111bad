namespace Provisioning.Application.Common.Behaviors;

/// <summary>
/// Whether a fault has been logged already: a fault is logged once, where the most is known of it (the message being
/// handled), not again by an outer handler or an outer message's pipeline.
/// </summary>
public static class FaultLog
{
    private const string Key = "Provisioning.FaultLogged";

    public static bool IsLogged(Exception exception) => exception.Data.Contains(Key);

    public static void MarkLogged(Exception exception)
    {
        if (!exception.Data.IsReadOnly)
        {
            exception.Data[Key] = true;
        }
    }
}
