<?php
return [
    'backend' => [
        'frontName' => 'admin_1x9k2'
    ],
    'remote_storage' => [
        'driver' => 'file'
    ],
    'queue' => [
        'consumers_wait_for_messages' => 1
    ],
    'crypt' => [
        'key' => 'base64' . 'Kx2bL0v9nQwR5tYzA3cD7eF1gH4jK6mN'
    ],
    'db' => [
        'table_prefix' => '',
        'connection' => [
            'default' => [
                'host' => '10.0.0.5:3307',
                'dbname' => 'magento',
                'username' => 'magento',
                'password' => 'S3cr\'et"pa$$',
                'model' => 'mysql4',
                'engine' => 'innodb',
                'initStatements' => 'SET NAMES utf8;',
                'active' => '1',
                'driver_options' => [
                    1014 => false
                ]
            ],
            'checkout' => [
                'host' => '/var/run/mysqld/mysqld.sock',
                'dbname' => 'magento_quote',
                'username' => 'quote',
                'password' => "quote\tpw\x41",
                'model' => 'mysql4',
                'engine' => 'innodb',
                'initStatements' => 'SET NAMES utf8;',
                'active' => '1'
            ],
            'sales' => array(
                'host' => 'db-sales',
                'dbname' => 'magento_sales',
                'username' => 'sales',
                'password' => '',
                'active' => '1',
            ),
        ]
    ],
    'resource' => [
        'default_setup' => [
            'connection' => 'default'
        ],
        'checkout' => [
            'connection' => 'checkout'
        ],
        'sales' => [
            'connection' => 'sales'
        ]
    ],
    'x-frame-options' => 'SAMEORIGIN',
    'MAGE_MODE' => 'production',
    'session' => [
        'save' => 'redis',
        'redis' => [
            'host' => '127.0.0.1',
            'port' => '6379',
            'password' => 'sess-pw',
            'timeout' => '2.5',
            'persistent_identifier' => '',
            'database' => '2',
            'compression_threshold' => '2048',
            'compression_library' => 'gzip',
            'log_level' => '1',
            'max_concurrency' => '6',
            'break_after_frontend' => '5',
            'break_after_adminhtml' => '30',
            'first_lifetime' => '600',
            'bot_first_lifetime' => '60',
            'bot_lifetime' => '7200',
            'disable_locking' => '0',
            'min_lifetime' => '60',
            'max_lifetime' => '2592000',
            'sentinel_master' => '',
            'sentinel_servers' => '',
            'sentinel_connect_retries' => '5',
            'sentinel_verify_master' => '0'
        ]
    ],
    'cache' => [
        'frontend' => [
            'default' => [
                'id_prefix' => '69d_',
                'backend' => 'Magento\\Framework\\Cache\\Backend\\Redis',
                'backend_options' => [
                    'server' => '127.0.0.1',
                    'database' => '0',
                    'port' => '6379',
                    'password' => 'cache-pw',
                    'compress_data' => '1',
                    'compression_lib' => ''
                ]
            ],
            'page_cache' => [
                'id_prefix' => '69d_',
                'backend' => \Magento\Framework\Cache\Backend\Redis::class,
                'backend_options' => [
                    'server' => 'tcp://redis-fpc',
                    'database' => 1,
                    'port' => 6380,
                    'password' => '',
                    'compress_data' => '0',
                    'compression_lib' => ''
                ]
            ]
        ],
        'allow_parallel_generation' => false
    ],
    'lock' => [
        'provider' => 'db'
    ],
    'directories' => [
        'document_root_is_pub' => true
    ],
    'cache_types' => [
        'config' => 1,
        'layout' => 1,
        'block_html' => 1,
        'collections' => 1,
        'reflection' => 1,
        'db_ddl' => 1,
        'compiled_config' => 1,
        'eav' => 1,
        'customer_notification' => 1,
        'config_integration' => 1,
        'config_integration_api' => 1,
        'full_page' => 1,
        'config_webservice' => 1,
        'translate' => 1
    ],
    'downloadable_domains' => [
        'shop.example.com'
    ],
    'install' => [
        'date' => 'Tue, 14 May 2024 09:12:44 +0000'
    ],
    'system' => [
        'default' => [
            'web' => [
                'secure' => [
                    'base_url' => 'https://shop.example.com/'
                ]
            ],
            'dev' => [
                'debug' => [
                    'debug_logging' => 0
                ]
            ]
        ]
    ],
    'cron_consumers_runner' => [
        'cron_run' => false,
        'max_messages' => -1,
        'consumers' => []
    ]
];
