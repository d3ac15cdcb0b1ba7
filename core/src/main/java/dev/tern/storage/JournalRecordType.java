package dev.tern.storage;

/**
 * The table of journal record types: each type's id on disk (see {@link JournalRecords} for the layouts), its name
 * in dumps, and how its body decodes into a {@link JournalVisitor} call. The matching encoder is the
 * {@link JournalRecords.Writer} method of the same name. Adding a record type means: a constant here, a writer
 * method, and a visitor method, which the replay and the dump formatter must then implement.
 */
public enum JournalRecordType
{
    SESSION_CREATE(JournalRecords.SESSION_CREATE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            if (!r.hasRemaining())
            {
                v.onSessionCreate(clientId, false, null, false); // journaled before owners were
                return;
            }
            final int owner = r.u8();
            final String userName = r.string();
            v.onSessionCreate(clientId, true, (owner & JournalRecords.OWNER_USER_NAME) != 0 ? userName : null,
                (owner & JournalRecords.OWNER_ANONYMOUS_LISTENER) != 0);
        }
    },
    SESSION_DELETE(JournalRecords.SESSION_DELETE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            v.onSessionDelete(r.string());
        }
    },
    SUBSCRIBE(JournalRecords.SUBSCRIBE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            final String filter = r.string();
            v.onSubscribe(clientId, filter, r.i32());
        }
    },
    UNSUBSCRIBE(JournalRecords.UNSUBSCRIBE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            v.onUnsubscribe(clientId, r.string());
        }
    },
    MESSAGE(JournalRecords.MESSAGE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final long id = r.i64();
            final int qos = r.u8();
            final boolean retain = r.u8() != 0;
            final String topic = r.string();
            v.onMessage(id, qos, retain, topic, r.bytes());
        }
    },
    ENQUEUE(JournalRecords.ENQUEUE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            final long id = r.i64();
            final int qos = r.u8();
            v.onEnqueue(clientId, id, qos, r.u8() != 0);
        }
    },
    INFLIGHT(JournalRecords.INFLIGHT)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            final long id = r.i64();
            final int packetId = r.u16();
            final int qos = r.u8();
            final boolean retain = r.u8() != 0;
            v.onInflight(clientId, id, packetId, qos, retain, r.u8() != 0);
        }
    },
    RELEASE(JournalRecords.RELEASE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            v.onRelease(clientId, r.u16());
        }
    },
    PUBREC(JournalRecords.PUBREC)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            v.onPubrec(clientId, r.u16());
        }
    },
    QOS2_IN(JournalRecords.QOS2_IN)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            v.onQos2In(clientId, r.u16());
        }
    },
    QOS2_DONE(JournalRecords.QOS2_DONE)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            v.onQos2Done(clientId, r.u16());
        }
    },
    RETAIN_SET(JournalRecords.RETAIN_SET)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            v.onRetainSet(r.i64());
        }
    },
    RETAIN_CLEAR(JournalRecords.RETAIN_CLEAR)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            v.onRetainClear(r.string());
        }
    },
    MESSAGE_V5(JournalRecords.MESSAGE_V5)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final long id = r.i64();
            final int qos = r.u8();
            final boolean retain = r.u8() != 0;
            final String topic = r.string();
            final long expiresAtMs = r.i64();
            final byte[] properties = r.bytes();
            v.onMessageV5(id, qos, retain, topic, expiresAtMs, properties, r.bytes());
        }
    },
    SESSION_EXPIRY(JournalRecords.SESSION_EXPIRY)
    {
        @Override
        void read(final JournalRecords.Reader r, final JournalVisitor v)
        {
            final String clientId = r.string();
            v.onSessionExpiry(clientId, r.i64());
        }
    };

    private static final JournalRecordType[] BY_ID;

    static
    {
        int max = 0;
        for (final JournalRecordType type : values())
        {
            max = Math.max(max, type.id);
        }
        BY_ID = new JournalRecordType[max + 1];
        for (final JournalRecordType type : values())
        {
            if (BY_ID[type.id] != null)
            {
                throw new IllegalStateException("two record types with id " + type.id);
            }
            BY_ID[type.id] = type;
        }
    }

    private final int id;

    JournalRecordType(final int id)
    {
        this.id = id;
    }

    /** @return the type byte on disk. */
    public int id()
    {
        return id;
    }

    /** @return the type with that id, or null if none (a journal from a newer broker, or damage). */
    public static JournalRecordType of(final int id)
    {
        return id > 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /**
     * Decode the reader's current record into one visitor call.
     *
     * @return false, reading nothing, if the record's type is unknown.
     * @throws IllegalStateException if the record is truncated.
     */
    public static boolean decode(final JournalRecords.Reader reader, final JournalVisitor visitor)
    {
        final JournalRecordType type = of(reader.type());
        if (type == null)
        {
            return false;
        }
        type.read(reader, visitor);
        return true;
    }

    abstract void read(JournalRecords.Reader r, JournalVisitor v);
}
